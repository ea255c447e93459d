"""The data feeds, one module each: what real systems would record of a simulated day, flaws included."""
