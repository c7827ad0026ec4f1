// Module TrainscapeIO: see README.md for what it does and does not do.
