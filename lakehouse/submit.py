"""Application file for ``spark-submit``: the ``regulake`` command under a submitted driver.

::

    spark-submit --master spark://host:7077 --jars "$(ls .jvm/spark-jars/*.jar | paste -sd,)" \\
        --conf spark.pyspark.python=/opt/regulake/bin/python \\
        "$(python -c 'import lakehouse.submit as m; print(m.__file__)')" run gold --env cluster

``--jars`` puts the Delta Lake jars on the driver's classpath (spark-submit starts the driver JVM
before regulake's session settings are read; ``regulake spark-settings`` prints the whole line).

Everything after the file is the ``regulake`` command line. spark-submit's ``--master`` and
``--conf`` settings win over the configuration's (see :func:`lakehouse.spark.submitted_conf`).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from lakehouse.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    # Run as a script, this file's folder (lakehouse/) is sys.path[0], where lakehouse.tables,
    # ml.estimator, ... would shadow top-level modules (PyTables is 'tables', the repo has 'ml').
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    main()
