{#- REV-05 未核先批 (逢救必核) (§22): an application approved before its economic
    verification was completed (no completion date, or completed after the
    decision), decided within the last `lookback_months` months (inclusive). -#}
{{ config(tags=['warning_rule']) }}

with approved as (
    select
        *,
        {{ add_months(as_of(), "-cast(" ~ rule_param('lookback_months') ~ " as integer)") }} as lookback_from
    from {{ ref('stg_ca_applications') }}
    where decision = 'approved'
      and decided_on is not null
      and decided_on <= {{ as_of() }}
),

unverified as (
    select *
    from approved
    where decided_on >= lookback_from
      and (verification_completed_on is null or verification_completed_on > decided_on)
)

select
    'REV-05' as rule_id,
    'case' as subject_type,
    application_id as subject_key,
    applicant_id_number as id_number,
    household_id,
    region_code,
    'high' as severity,
    cast(json_object(
        'program', program,
        'applied_on', applied_on,
        'decided_on', decided_on,
        'verification_completed_on', verification_completed_on,
        'lookback_from', lookback_from
    ) as varchar) as evidence
from unverified
