"""Local and build tools: the `tpi-skill` command, local NLU, envelopes, model builder, Lambda packaging."""
