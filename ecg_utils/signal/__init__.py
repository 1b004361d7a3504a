"""Samples -> beats: filters, R-peaks, unreadable signal, beat cutting, RR intervals, patient templates, rhythm,
and a database's labelled beats built from its records.
"""
