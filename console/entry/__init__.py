"""One module per ``python -m console X`` driver, each a thin ``main(argv)``."""
