"""Simulators of the county's source systems, serving a generated world over loopback HTTP.

``hub simulate --world DIR`` runs a control server and the case-management, anti-fraud and
fugitive-list systems (bearer tokens, cursor pagination, ``updated_since``, switchable
faults), and drops the big-data centre's daily files into a folder as a simulated clock
reaches their day.
"""

from hub.simulate.faults import Faults
from hub.simulate.serve import Simulators
from hub.simulate.simulation import Simulation

__all__ = ["Faults", "Simulation", "Simulators"]
