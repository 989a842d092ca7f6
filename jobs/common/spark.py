"""The one SparkSession factory.

On a cluster (spark-submit, Databricks) a session already exists and is taken as it is. Locally a
session is built from the ``spark`` config section: UTC session time zone, micro-second Parquet
timestamps (delta-rs reads them), shuffle partitions sized for a laptop, UI off unless asked.
Nothing here runs at import time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from jobs.common.errors import LeaklineError

MIN_JAVA = 17


def java_major_version() -> int | None:
    """The major version of the ``java`` Spark will start, or None when there is none."""
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java() -> None:
    """Fail with one clear line when Java 17+ is missing (Spark 4 needs it)."""
    major = java_major_version()
    if major is None:
        raise LeaklineError(
            f"Java {MIN_JAVA}+ is required by Spark 4 but no 'java' was found "
            "(install OpenJDK 17, e.g. 'apt-get install openjdk-17-jre-headless', or set JAVA_HOME)"
        )
    if major < MIN_JAVA:
        raise LeaklineError(f"Java {MIN_JAVA}+ is required by Spark 4, found Java {major} (set JAVA_HOME)")


def active_session() -> Any | None:
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_spark(spark_conf: Mapping[str, Any] | None = None) -> Any:
    """The active session if there is one (cluster), else a local one built from ``spark_conf``."""
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    if existing is not None:
        return existing
    check_java()
    # Python workers (pandas UDFs, model scoring) must run this interpreter, not whatever "python3" is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sc = dict(spark_conf or {})
    builder = (
        SparkSession.builder.master(str(sc.get("master", "local[*]")))
        .appName(str(sc.get("app_name", "leakline")))
        .config("spark.sql.shuffle.partitions", str(sc.get("shuffle_partitions", 8)))
        .config("spark.driver.memory", str(sc.get("driver_memory", "4g")))
        .config("spark.ui.enabled", str(bool(sc.get("ui_enabled", False))).lower())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    )
    for key, value in (sc.get("conf") or {}).items():
        builder = builder.config(str(key), str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(str(sc.get("log_level", "WARN")))
    return session


def has_delta(spark: Any) -> bool:
    """True when Delta Lake's Spark data source is on the session's classpath."""
    try:
        jvm = spark.sparkContext._jvm
        jvm.java.lang.Class.forName("io.delta.tables.DeltaTable")
        return True
    except Exception:  # py4j raises its own error types; any failure means "not available"
        return False
