"""Reports: figures and HTML pages built from analysis results and run files.

Modules: ``noise_plots`` (amplifier gain, noise temperature and added noise
versus frequency), ``touchstone`` (Touchstone export of calibrated DUTs and
error terms), ``plots`` (every figure of a run by sequence, ``save_run_plots``;
drawn by ``s21_plots``, ``coherence_plots``, ``thermal_plots`` on ``figures``).
"""

__all__: list[str] = []
