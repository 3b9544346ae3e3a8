"""Marshmallow schemas: the API's (and the web forms') input and output vocabulary."""
