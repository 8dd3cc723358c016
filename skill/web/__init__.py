"""Hosting the skill as an HTTPS web service: the Flask app, Alexa request verification, entry points."""
