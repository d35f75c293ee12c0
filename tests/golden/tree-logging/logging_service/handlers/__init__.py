"""Hand-written handlers, copied from services/ by the generator."""
