"""The data feeds, one module each: what a real system would record of the simulated day, imperfections included."""
