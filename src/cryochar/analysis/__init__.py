"""Analysis: pure functions, arrays in, frozen dataclasses out (numpy, scipy, scikit-rf only).

Subpackages: ``coherence`` (T1/T2 fits and coherence statistics), ``noise``
(amplifier gain and noise temperature: Y-factor, multi-temperature and SNTJ
fits, loss de-embedding, Friis, uncertainty budget).
"""
