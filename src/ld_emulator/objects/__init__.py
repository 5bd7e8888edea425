"""The documents experiments stand on, one module per kind: what each is stored as, seeded from
the fixtures, validated against the spec (and its prose), and rendered in the spec's shapes.

* :mod:`.settings`: a project's context kinds and experimentation settings (randomization
  units, which must be context kinds);
* :mod:`.metrics`: metrics and metric groups;
* :mod:`.holdouts`: holdouts, per environment;
* :mod:`.layers`: layers and their per-environment experiment reservations;
* :mod:`.usage`: which experiments and groups use an object (for what deleting or changing it
  does, see the ``in-use-refused`` strict point).

The routes (:mod:`..routes`) read and write them through :class:`~..documents.Documents`.
"""
