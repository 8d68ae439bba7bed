"""Identity resolution: which source records describe the same person.

Records carry their deterministic identity (a valid resident ID number, else the record
itself: ``hub.resolution.records``); records without a trusted identifier are compared
with their candidates (``blocking``: records sharing a stored blocking key) and scored by
a Fellegi-Sunter model learnt from the records themselves with Splink (``model``). Every
decision is a judgement (``judgements``, decided in ``engine``: never a merge on a name
and birth date alone); the canonical person of every record follows from the judgements
(``clusters``) and is applied to the graph reversibly (``apply``). ``run`` runs it
against the graph, ``match`` scores an outside list against the graph.
"""
