{#- STD-02 照料护理标准低于最低工资比例 (§6): for each banner (and the high-tech
    zone), the full-care standard in force on as_of is below `care_full_share`, or
    the partial-care standard below `care_partial_share`, of the minimum wage in
    force `min_wage_lag_months` months before that care standard's effective_from
    (the required amount is rounded to the fen; equal passes). The one-year lag is
    the point: the league's 2025 care standards (1,287 and 495) are exactly 65% and
    25% of the 1,980 wage in force during 2024 and pass, though the wage rose to
    2,270 on 2024-12-01. The care row in force follows standard_in_force: the
    banner's own row, else the league's, with the greatest effective_from on or
    before as_of. -#}
{{ config(tags=['warning_rule']) }}

with banners as (
    select code as banner_code
    from {{ ref('regions') }}
    where level in ('banner', 'zone')
),

care_rows as (
    select
        banners.banner_code,
        standards.standard,
        standards.amount,
        standards.effective_from,
        standards.region_code as set_by,
        row_number() over (
            partition by banners.banner_code, standards.standard
            order by case when standards.region_code = '152900' then 1 else 0 end,
                     standards.effective_from desc
        ) as in_force_rank
    from banners
    inner join {{ ref('int_standards') }} as standards
        on standards.region_code in (banners.banner_code, '152900')
    where standards.standard in ('tekun_care_full', 'tekun_care_partial')
      and standards.effective_from <= {{ as_of() }}
),

care_in_force as (
    select
        *,
        {{ add_months('effective_from', "-1 * cast(" ~ rule_param('min_wage_lag_months') ~ " as integer)") }}
            as wage_read_on,
        case
            when standard = 'tekun_care_full' then {{ rule_param('care_full_share') }}
            else {{ rule_param('care_partial_share') }}
        end as required_share
    from care_rows
    where in_force_rank = 1
),

compared as (
    select
        care_in_force.*,
        {{ standard_in_force('care_in_force.banner_code', "'min_wage'", 'care_in_force.wage_read_on') }}
            as min_wage
    from care_in_force
),

judged as (
    select
        *,
        round(required_share * min_wage, 2) as required_amount,
        amount < round(required_share * min_wage, 2) as below
    from compared
),

by_banner as (
    select
        banner_code,
        max(amount) filter (where standard = 'tekun_care_full') as care_full,
        max(effective_from) filter (where standard = 'tekun_care_full') as care_full_effective_from,
        max(min_wage) filter (where standard = 'tekun_care_full') as care_full_min_wage,
        max(required_amount) filter (where standard = 'tekun_care_full') as care_full_required,
        max(amount) filter (where standard = 'tekun_care_partial') as care_partial,
        max(effective_from) filter (where standard = 'tekun_care_partial') as care_partial_effective_from,
        max(min_wage) filter (where standard = 'tekun_care_partial') as care_partial_min_wage,
        max(required_amount) filter (where standard = 'tekun_care_partial') as care_partial_required,
        string_agg(standard, ',' order by standard) filter (where below) as failing_standards
    from judged
    group by banner_code
)

select
    'STD-02' as rule_id,
    'region' as subject_type,
    banner_code as subject_key,
    cast(null as varchar) as id_number,
    cast(null as varchar) as household_id,
    banner_code as region_code,
    'high' as severity,
    cast(json_object(
        'failing_standards', failing_standards,
        'care_full', care_full,
        'care_full_effective_from', care_full_effective_from,
        'care_full_min_wage', care_full_min_wage,
        'care_full_required', care_full_required,
        'care_partial', care_partial,
        'care_partial_effective_from', care_partial_effective_from,
        'care_partial_min_wage', care_partial_min_wage,
        'care_partial_required', care_partial_required,
        'care_full_share', {{ rule_param('care_full_share') }},
        'care_partial_share', {{ rule_param('care_partial_share') }},
        'min_wage_lag_months', {{ rule_param('min_wage_lag_months') }}
    ) as varchar) as evidence
from by_banner
where failing_standards is not null
