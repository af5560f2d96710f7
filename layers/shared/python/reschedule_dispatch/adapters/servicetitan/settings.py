"""ServiceTitan connection settings: which environment, the app's credentials, the tenant."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROVIDER = "ServiceTitan"


ENVIRONMENTS = {
    "production": ("https://api.servicetitan.io", "https://auth.servicetitan.io/connect/token"),
    "integration": (
        "https://api-integration.servicetitan.io",
        "https://auth-integration.servicetitan.io/connect/token",
    ),
}


class ServiceTitanCredentials(BaseModel):
    """A business's ServiceTitan connection, as kept in Secrets Manager (JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(pattern=r"^\d+$")
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    app_key: str = Field(min_length=1, description="The app's key, sent as ST-App-Key")
    webhook_key: str | None = Field(default=None, description="The app's webhook HMAC key")
    environment: Literal["production", "integration"] = "production"
    api_base_url: str | None = None  # overrides (the local fake)
    auth_url: str | None = None

    def endpoints(self) -> tuple[str, str]:
        api, auth = ENVIRONMENTS[self.environment]
        return self.api_base_url or api, self.auth_url or auth


class ServiceTitanConfig(BaseModel):
    """A business's non-secret ServiceTitan settings (its connection's options). The
    endpoints given here win over any in the credentials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_id: str = Field(min_length=1)
    environment: Literal["production", "integration"] | None = None
    api_base_url: str | None = None  # overrides (the local fake)
    auth_url: str | None = None
    phone_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")

    def applied_to(self, credentials: ServiceTitanCredentials) -> ServiceTitanCredentials:
        endpoints = self.model_dump(
            include={"environment", "api_base_url", "auth_url"}, exclude_none=True
        )
        return credentials.model_copy(update=endpoints)
