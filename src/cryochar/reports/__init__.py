"""Reports: figures and HTML pages built from analysis results and run files.

Modules: ``noise_plots`` (amplifier gain, noise temperature and added noise
versus frequency), ``touchstone`` (Touchstone export of calibrated DUTs and
error terms).
"""

__all__: list[str] = []
