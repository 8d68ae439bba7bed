"""Identity resolution: which source records describe the same person.

Records carry their deterministic identity (a valid resident ID number, else the record
itself: ``hub.resolution.records``); records without a trusted identifier are compared
with their candidates (``blocking``, ``compare``) and scored with Fellegi-Sunter weights
estimated from the data (``model``). Every decision is a judgement (``judgements``); the
canonical person of every record follows from the judgements (``clusters``) and is
applied to the graph reversibly (``apply``). ``engine`` runs the whole; ``match`` scores
an outside list against the graph.
"""
