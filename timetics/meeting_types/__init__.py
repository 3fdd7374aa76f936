"""Meeting types: what guests can book."""
