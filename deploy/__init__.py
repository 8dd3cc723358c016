"""The production setup: ``deploy/production.py`` and the modules it is made of (``deploy/launch``)."""
