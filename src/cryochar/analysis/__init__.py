"""Analysis: pure functions, arrays in, frozen dataclasses out (numpy, scipy, scikit-rf only).

Subpackages: ``coherence`` (T1/T2 fits and coherence statistics), ``noise``
(amplifier gain and noise temperature: Y-factor, multi-temperature and SNTJ
fits, loss de-embedding, Friis, uncertainty budget), ``thermal`` (thermal
photons, Clerk-Utami dephasing, attenuator chains, T_eff, leakage and
hot-electron fits), ``calibration`` (8-term/SOLR/SOLT/TRL two-port
calibration on scikit-rf, vectorised solvers, uncertainty budget, verification
and drift checks).
"""
