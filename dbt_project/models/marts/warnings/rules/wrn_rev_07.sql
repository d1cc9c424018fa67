{#- REV-07 临时救助越权审批 (§14): a temporary assistance case approved at a level
    below the one its amount requires. Required: amount <= temp_township_multiple x
    the urban dibao standard in force at approval for the case's banner ->
    township; else amount <= temp_banner_limit -> banner_civil_affairs; else
    banner_leading_group (bounds inclusive: on the bound, the lower tier). -#}
{{ config(tags=['warning_rule']) }}

with approved_cases as (
    select
        *,
        {{ banner_of('region_code') }} as banner_code
    from {{ ref('stg_ca_temp_assistance') }}
    where approved_on is not null
      and approved_on <= {{ as_of() }}
      and approval_level is not null
),

limits as (
    select
        *,
        {{ standard_in_force('approved_cases.banner_code', "'dibao_urban'", 'approved_cases.approved_on') }}
            as urban_dibao_standard,
        cast({{ rule_param('temp_township_multiple') }} as decimal(18, 4)) as township_multiple,
        cast({{ rule_param('temp_banner_limit') }} as decimal(14, 2)) as banner_limit
    from approved_cases
),

required as (
    select
        *,
        township_multiple * urban_dibao_standard as township_limit,
        case
            when amount <= township_multiple * urban_dibao_standard then 'township'
            when amount <= banner_limit then 'banner_civil_affairs'
            else 'banner_leading_group'
        end as required_level
    from limits
),

ranked as (
    select
        *,
        case approval_level
            when 'township' then 1 when 'banner_civil_affairs' then 2 when 'banner_leading_group' then 3
        end as recorded_rank,
        case required_level
            when 'township' then 1 when 'banner_civil_affairs' then 2 when 'banner_leading_group' then 3
        end as required_rank
    from required
)

select
    'REV-07' as rule_id,
    'case' as subject_type,
    case_id as subject_key,
    id_number,
    household_id,
    region_code,
    'high' as severity,
    cast(json_object(
        'amount', amount,
        'approved_on', approved_on,
        'urban_dibao_standard', urban_dibao_standard,
        'township_multiple', cast(township_multiple as decimal(10, 2)),
        'township_limit', cast(township_limit as decimal(14, 2)),
        'banner_limit', banner_limit,
        'required_level', required_level,
        'approval_level', approval_level
    ) as varchar) as evidence
from ranked
where recorded_rank < required_rank
