"""The reference library of the backprop course: the truth every grade is measured against.

Modules, from the bottom up: ``functions`` (elementwise maths and local
gradients), ``graph`` (the scalar engine), ``layers`` and ``losses``
(vectorized forward/backward pairs), ``optim`` and ``schedules``, ``nets``,
``solver``, ``gradcheck``, ``data``, ``viz`` and ``widgets``.
"""

__version__ = "0.1.0"
