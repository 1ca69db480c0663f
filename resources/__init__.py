"""The shipped data of dispatch120 (protocols, scenarios, maps, ECG samples, pages, sounds, styles).

No code lives here: this file makes ``resources`` a regular package so that
``importlib.resources.files("resources")`` finds the folder in a checkout, in an installed
wheel (where it is package data) and in a frozen bundle. Code reaches it only through
:mod:`app.resources`.
"""
