"""Experiments: the documents the emulator stores, and everything done to them.

* :mod:`.model`: the document shape, the field tables (``mutableFieldsByStatus``), the
  :class:`~.model.Context` a request acts in;
* :mod:`.validation`: ``ExperimentPost`` / ``IterationInput`` checks beyond the schema;
* :mod:`.iterations`: creating documents, the iteration state machine and the semantic-patch
  instructions;
* :mod:`.rendering`: the spec's ``Experiment`` and ``IterationRep`` shapes.

Everything here is pure: functions take a context and a document (a plain dict) and return a
new document or raise :class:`~ld_emulator.errors.ApiError`. Persistence is the routes' job.
"""
