FIGURE_LOSS = "mse"  # the loss the figures draw: this exercise trains on MSE
