"""Alexa skill that answers questions about trigger point injections from one patient leaflet."""
