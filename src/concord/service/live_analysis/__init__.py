"""Live analysis: conversations are re-analysed in the background as votes arrive. Voting never waits
for it. One module per job:

- :mod:`.events` loads the vote events a conversation has not had analysed yet (incremental);
- :mod:`.payload` reads what an analysis needs, computes it (:mod:`concord.report.conversation_analysis`)
  and stores the results contract and the next-statement priorities with what they were computed from;
- :mod:`.scheduler` decides when (a second after the votes stop, at most ten after the first) in a
  background thread;
- :mod:`.process` runs the scheduler in a process of its own under ``concord serve`` and restarts it
  when it dies.
"""

from concord.service.live_analysis.process import AnalysisProcess
from concord.service.live_analysis.scheduler import LiveAnalysis

__all__ = ["AnalysisProcess", "LiveAnalysis"]
