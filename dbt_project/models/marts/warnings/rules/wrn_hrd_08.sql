{#- HRD-08 突发严重困难户未纳入救助 (§3, §20): a rural-monitoring household of
    category `sudden_hardship` whose risk is not cleared (risk_cleared not true)
    and whose head is neither the head nor a member of any assisted household. -#}
{{ config(tags=['warning_rule']) }}

with assisted_people as (
    select id_number from {{ ref('int_household_members') }} where is_assisted
    union
    select head_id_number as id_number from {{ ref('int_households') }} where is_assisted
),

uncovered as (
    select *
    from {{ ref('stg_rr_monitoring') }}
    where category = 'sudden_hardship'
      and not coalesce(risk_cleared, false)
      and head_id_number not in (select id_number from assisted_people)
)

select
    'HRD-08' as rule_id,
    'household' as subject_type,
    rr_household_id as subject_key,
    head_id_number as id_number,
    cast(null as varchar) as household_id,
    region_code,
    'high' as severity,
    cast(json_object(
        'rr_household_id', rr_household_id,
        'category', category,
        'risk_type', risk_type,
        'identified_on', identified_on,
        'per_capita_net_income', per_capita_net_income,
        'risk_cleared', risk_cleared
    ) as varchar) as evidence
from uncovered
