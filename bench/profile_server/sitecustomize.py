"""Profile every script run of a Streamlit server started with this folder on PYTHONPATH.

    SPINEDASH_PROFILE_RUNS=bench/out/runs.txt PYTHONPATH=bench/profile_server python3 bench/browser.py --size 1m

bench/browser.py (and anything else that starts `streamlit run` with this PYTHONPATH) then appends,
for each rerun, a line "=== run <start> <end> <seconds>" (wall-clock epoch seconds, to line up with
click times) and a pyinstrument call tree to the file named. Without SPINEDASH_PROFILE_RUNS this
does nothing. For measuring where a rerun's time goes; it slows every rerun a little.
"""

import os
import time

if os.environ.get("SPINEDASH_PROFILE_RUNS"):
    from pyinstrument import Profiler
    from streamlit.runtime.scriptrunner import script_runner

    _original = script_runner.exec_func_with_error_handling
    _out = open(os.environ["SPINEDASH_PROFILE_RUNS"], "a")  # noqa: SIM115 - lives as long as the server

    def _profiled(func, ctx):
        profiler = Profiler(interval=0.001)
        start = time.time()
        profiler.start()
        try:
            return _original(func, ctx)
        finally:
            profiler.stop()
            end = time.time()
            _out.write(f"=== run {start:.3f} {end:.3f} {end - start:.3f}\n")
            _out.write(profiler.output_text(unicode=False, color=False) + "\n")
            _out.flush()

    script_runner.exec_func_with_error_handling = _profiled
