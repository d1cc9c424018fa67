{#- REV-04 渐退期限不合规 (§4): a household in gradual exit whose period does not
    fit its type: `employment` outside [exit_employment_min, exit_employment_max]
    months, `rural_income` outside [exit_rural_min, exit_rural_max] months (both
    bounds inclusive), or `rural_income` granted to an urban household. -#}
{{ config(tags=['warning_rule']) }}

with gradual_exits as (
    select
        *,
        case gradual_exit_type
            when 'employment' then {{ rule_param('exit_employment_min') }}
            when 'rural_income' then {{ rule_param('exit_rural_min') }}
        end as allowed_min_months,
        case gradual_exit_type
            when 'employment' then {{ rule_param('exit_employment_max') }}
            when 'rural_income' then {{ rule_param('exit_rural_max') }}
        end as allowed_max_months
    from {{ ref('int_households') }}
    where status = 'gradual_exit'
      and gradual_exit_type is not null
),

checked as (
    select
        *,
        coalesce(gradual_exit_months < allowed_min_months
                 or gradual_exit_months > allowed_max_months, false) as months_out_of_range,
        coalesce(gradual_exit_type = 'rural_income' and urban_rural = 'urban', false) as rural_type_for_urban
    from gradual_exits
)

select
    'REV-04' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    'low' as severity,
    cast(json_object(
        'gradual_exit_type', gradual_exit_type,
        'gradual_exit_start', gradual_exit_start,
        'gradual_exit_months', gradual_exit_months,
        'allowed_min_months', cast(allowed_min_months as integer),
        'allowed_max_months', cast(allowed_max_months as integer),
        'urban_rural', urban_rural,
        'months_out_of_range', months_out_of_range,
        'rural_type_for_urban', rural_type_for_urban
    ) as varchar) as evidence
from checked
where months_out_of_range or rural_type_for_urban
