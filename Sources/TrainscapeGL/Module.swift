// Module TrainscapeGL: see README.md for what it does and does not do.
