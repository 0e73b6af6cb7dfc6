"""Station settings: where data lives, which database, how many workers.

Read once from `station.toml` (in the working directory, or the file named by
`STATION_CONFIG`) and `STATION_*` environment variables, which win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from station.errors import ConfigError
from station.i18n import _

PACKAGE_PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def _config_file() -> Path:
    return Path(os.environ.get("STATION_CONFIG", "station.toml"))


def _default_profiles_dir() -> Path:
    local = Path("profiles")
    return local if local.is_dir() else PACKAGE_PROFILES


class StationSettings(BaseSettings):
    """Deployment settings of one scanning station."""

    model_config = SettingsConfigDict(env_prefix="STATION_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=Path("data"), description="Masters, derivatives and the embedded database"
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite inside the data directory"
    )
    hotfolders: Path = Field(default=Path("hotfolders"), description="Hot-folder root")
    output_dir: Path = Field(
        default=Path("out"),
        description="Where `station watch` writes documents: <output_dir>/<profile>/<batch>/",
    )
    profiles_dir: Path = Field(
        default_factory=_default_profiles_dir, description="Folder of scanning profiles (TOML)"
    )
    workers: Annotated[int, Field(ge=1, le=256, description="Worker processes")] = Field(
        default_factory=lambda: os.cpu_count() or 1
    )
    default_profile: str = Field(
        default="text-gray-300", description="Profile used when none is named"
    )
    language: Literal["en", "vi"] = Field(
        default="en",
        description="Language of the CLI, and of the review app for a user who chose none and "
        "whose browser asks for neither English nor Vietnamese: en or vi",
    )
    watch_mode: Literal["native", "polling"] = Field(
        default="native",
        description="How the hot folders are watched: file-system events, or polling for "
        "SMB/NFS shares where events do not arrive",
    )
    poll_interval_s: Annotated[float, Field(gt=0.0, le=600.0)] = Field(
        default=2.0, description="Seconds between polls in polling mode"
    )
    rescan_interval_s: Annotated[float, Field(gt=0.0, le=86400.0)] = Field(
        default=180.0, description="Full rescan of the hot folders as a safety net, in seconds"
    )

    # Distributed mode (a PostgreSQL database_url): `station worker` and its jobs.
    work: Literal["auto", "local", "queue"] = Field(
        default="auto",
        description="Where page work runs: auto puts it on the queue in PostgreSQL for "
        "`station worker`s and in the local process pool on SQLite; local keeps the local "
        "pool on a PostgreSQL database (one machine); queue requires PostgreSQL",
    )
    page_time_limit_s: Annotated[float, Field(gt=0.0, le=86400.0)] = Field(
        default=600.0,
        description="A page job running longer is stopped (its worker process restarts) and "
        "retried elsewhere",
    )
    job_attempts: Annotated[int, Field(ge=1, le=20)] = Field(
        default=3, description="Attempts at a page before it is recorded as failed"
    )
    heartbeat_s: Annotated[float, Field(gt=0.0, le=600.0)] = Field(
        default=10.0, description="How often a worker tells the database it is alive"
    )
    stalled_after_s: Annotated[float, Field(gt=0.0, le=86400.0)] = Field(
        default=60.0,
        description="A worker silent this long is taken for dead and its jobs run again",
    )
    done_jobs_kept_h: Annotated[int, Field(ge=1, le=24 * 366)] = Field(
        default=24 * 7,
        description="Hours the queue keeps a job that succeeded (failed jobs stay for "
        "inspection); the pages' own records are kept for good",
    )

    organization: str = Field(
        default="",
        description="The archive's name, written as Source-Organization into exported bags",
    )
    export_dir: Path = Field(
        default=Path("exports"), description="Where the review app's export button writes"
    )
    session_hours: Annotated[float, Field(gt=0.0, le=24 * 30)] = Field(
        default=12.0, description="How long a log-in to the review app lasts, in hours"
    )
    login_attempts: Annotated[int, Field(ge=1, le=100)] = Field(
        default=5, description="Failed log-ins in a row that lock an account"
    )
    lockout_minutes: Annotated[float, Field(gt=0.0, le=24 * 60)] = Field(
        default=15.0, description="How long a locked account stays locked, in minutes"
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure: set it when the app is served over HTTPS",
    )

    # Signing exported PDF/As (issue 15): the digitizing body's signature, NĐ 30/2020 and
    # TT 01/2019 (standards.md 5.1). One signer: a PKCS#12 file, or a PKCS#11 token.
    signing_p12: Path | None = Field(
        default=None, description="The signer's PKCS#12 file (.p12/.pfx: key and certificates)"
    )
    signing_password_file: Path | None = Field(
        default=None, description="File holding the PKCS#12 passphrase (its first line)"
    )
    signing_pkcs11_module: Path | None = Field(
        default=None, description="PKCS#11 module of a USB token (the CA's .so driver)"
    )
    signing_pkcs11_slot: int | None = Field(default=None, description="The token's slot number")
    signing_pkcs11_token: str = Field(default="", description="The token's label")
    signing_pkcs11_key: str = Field(
        default="", description="Label of the signing key (and its certificate) on the token"
    )
    signing_pin_file: Path | None = Field(
        default=None, description="File holding the token's user PIN (its first line)"
    )
    signing_seal: Path | None = Field(
        default=None, description="The body's seal as a PNG, drawn at its real size"
    )
    signing_seal_mm: Annotated[float, Field(gt=0.0, le=200.0)] | None = Field(
        default=None,
        description="The seal's real width in millimetres, when its PNG carries no DPI",
    )
    signing_required: bool = Field(
        default=False,
        description="Every export is signed, and `station export verify` wants a signature",
    )
    signing_tsa_url: str = Field(
        default="", description="RFC 3161 timestamp server: signatures become PAdES B-T"
    )
    signing_trust_roots: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="PEM files of the trusted root certificates (separated by the path "
        "separator in STATION_SIGNING_TRUST_ROOTS)",
    )
    signing_crls: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(),
        description="Revocation lists (DER or PEM) to embed: signatures become PAdES B-LT",
    )
    signing_fetch_revocation: bool = Field(
        default=False,
        description="Fetch OCSP/CRL over the network when signing, for PAdES B-LT",
    )
    signing_timezone: str = Field(
        default="Asia/Ho_Chi_Minh", description="Time zone of the signing time shown on page 1"
    )

    @field_validator(
        "signing_p12",
        "signing_password_file",
        "signing_pkcs11_module",
        "signing_pin_file",
        "signing_seal",
        "signing_pkcs11_slot",
        "signing_seal_mm",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`STATION_SIGNING_P12=` unsets it (an empty path would be the working directory)."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("signing_trust_roots", "signing_crls", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())
        return value

    @model_validator(mode="after")
    def _fill_database_url(self) -> StationSettings:
        if not self.database_url:
            object.__setattr__(
                self, "database_url", f"sqlite:///{(self.data_dir / 'station.db').resolve()}"
            )
        if self.work == "queue" and not _is_postgresql(self.database_url):
            raise ValueError(
                "work = queue needs a PostgreSQL database_url (the queue lives there); "
                "SQLite works with the local pool only"
            )
        if self.signing_p12 is not None and self.signing_pkcs11_module is not None:
            raise ValueError("signing_p12 and signing_pkcs11_module both set: configure one signer")
        return self

    @property
    def signing_configured(self) -> bool:
        """Whether a signer (PKCS#12 file or PKCS#11 token) is configured."""
        return self.signing_p12 is not None or self.signing_pkcs11_module is not None

    @property
    def distributed(self) -> bool:
        """Whether page work goes on the queue in PostgreSQL for `station worker`s."""
        return self.work == "queue" or (self.work == "auto" and _is_postgresql(self.database_url))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_config_file()),
        )


def _is_postgresql(database_url: str) -> bool:
    return database_url.startswith(("postgresql", "postgres:"))


def load_settings(**overrides: object) -> StationSettings:
    """Build settings, turning validation errors into one clear `ConfigError`."""
    try:
        return StationSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            _(
                "Invalid station settings (from %(config_file)s and STATION_* variables): "
                "%(problems)s",
                config_file=_config_file(),
                problems=problems,
            )
        ) from exc
