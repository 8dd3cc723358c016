"""The skill itself: what AWS Lambda runs, and all that the Lambda zip carries.

Imports nothing from `skill.web` or `skill.tools`, and nothing outside ask-sdk-core and the standard library.
"""
