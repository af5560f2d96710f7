"""The AWS CDK app for Reschedule Dispatch: one construct per capability, one stack."""
