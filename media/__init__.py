"""Media: what a file really is, by its bytes, and how to fit it under the national upload caps."""
