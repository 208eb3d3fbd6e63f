"""Analysis: pure functions, arrays in, frozen dataclasses out (numpy, scipy, scikit-rf only).

Subpackages: ``coherence`` (T1/T2 fits and coherence statistics).
"""
