"""Auth: the Cognito user pool of dispatchers and the app client of the web console."""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra import nag

BUSINESS_ID_ATTRIBUTE = "business_id"
ROLE_ATTRIBUTE = "role"  # admin or dispatcher: only admins change settings and the team
# The console's session (add_console_client): an hour's ID token, renewed with a rotating
# refresh token for a 12-hour shift; a used refresh token works for 30 s more (a retry).
ID_TOKEN_HOURS = 1
SESSION_HOURS = 12
ROTATION_GRACE_SECONDS = 30


class Auth(Construct):
    """Dispatchers sign in to the console; each user carries ``custom:business_id``.

    Accounts are created by the team function (sign-up, an admin's invitation; Cognito's own
    self sign-up is off) with the business id set once: the attribute is immutable, and the
    console client can write neither it nor the role.
    """

    console_client: cognito.UserPoolClient  # set by add_console_client

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                BUSINESS_ID_ATTRIBUTE: cognito.StringAttribute(
                    min_len=1, max_len=64, mutable=False
                ),
                ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=16, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            self.user_pool,
            "COG8",
            "Essentials tier: accounts are admin-created (no self sign-up), passwords are long "
            "and complex and TOTP MFA is required. Plus-tier threat protection is a per-user "
            "cost the deploying business can opt into with feature_plan=PLUS.",
        )

        # The Hosted UI (managed sign-in pages) on an Amazon Cognito domain: it handles the
        # password, the first-time password change and TOTP set-up, so the console never
        # sees a password. The prefix must be unique in the region: the account id makes it so.
        self.hosted_ui = self.user_pool.add_domain(
            "HostedUi",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=Fn.join("-", ["reschedule-dispatch", Aws.ACCOUNT_ID])
            ),
        )

    def add_console_client(self, console_url: str) -> cognito.UserPoolClient:
        """The web console's app client: authorization code with PKCE back to console_url.

        Created once the console's address exists (its CloudFront distribution), because
        Cognito redirects only to registered callback URLs. A public client (no secret):
        the console runs in the browser.
        """
        self.console_client = self.user_pool.add_client(
            "ConsoleClient",
            user_pool_client_name="dispatcher-console",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[console_url],
                logout_urls=[console_url],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            # A console session lasts a shift. The ID token the API checks lives an hour; the
            # console renews it before then with the refresh token at the token endpoint
            # (console/lib/auth.js), so a dispatcher is not sent to sign in mid-call. The
            # refresh token lives 12 hours from the sign-in (password and TOTP): the longest
            # shift, breaks included, in one sign-in, and no longer, so a token left in a
            # shared dispatcher PC's tab is dead by the next shift. Rotation hands out a new
            # refresh token on every renewal and never extends that end; a used one is
            # refused after the grace (a retry when the answer was lost). Sign-out revokes
            # it (/oauth2/revoke). local/dev_auth.py mirrors these numbers.
            access_token_validity=Duration.hours(ID_TOKEN_HOURS),
            id_token_validity=Duration.hours(ID_TOKEN_HOURS),
            refresh_token_validity=Duration.hours(SESSION_HOURS),
            refresh_token_rotation_grace_period=Duration.seconds(ROTATION_GRACE_SECONDS),
            enable_token_revocation=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(BUSINESS_ID_ATTRIBUTE, ROLE_ATTRIBUTE),
            # Their name only: an email changed by its owner would leave an account the
            # team's removal (by email) no longer finds, still carrying its business.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        return self.console_client
