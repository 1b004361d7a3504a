"""Runs and reports: one baseline run as functions, papermill sweeps, their tables and figures, the rendered reports
of the main job.
"""
