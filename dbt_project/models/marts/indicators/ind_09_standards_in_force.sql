-- IND-09: the standards in force each month for the league and each banner, by
-- urban/rural, and the ratios the measures require (§6): tekun basic / dibao
-- (>= tekun_multiple) and the care standards / the minimum wage in force
-- min_wage_lag_months before the care standard took effect (>= care_full_share,
-- >= care_partial_share). Thresholds are the rule parameters of STD-01 / STD-02,
-- and the STD-01 / STD-02 warnings the month's latest warning run raised for the
-- place (warning_history) are counted next to the ratios.
with places as (
    select
        months.month,
        months.snapshot_date,
        regions.region_level,
        regions.region_code,
        regions.region_name,
        kinds.urban_rural
    from {{ ref('int_month_spine') }} as months
    cross join {{ ref('int_report_regions') }} as regions
    cross join ({{ values_of('urban_rural', ['urban', 'rural']) }}) as kinds
    where months.in_range
      and regions.region_level in ('league', 'banner')
),

standards as (
    select
        *,
        {{ standard_in_force('places.region_code', "'dibao_' || places.urban_rural", 'places.snapshot_date') }} as dibao_standard,
        {{ standard_in_force('places.region_code', "'tekun_basic_' || places.urban_rural", 'places.snapshot_date') }}
            as tekun_basic_standard,
        {{ standard_in_force('places.region_code', "'tekun_care_full'", 'places.snapshot_date') }} as care_full_standard,
        {{ standard_field_in_force('places.region_code', "'tekun_care_full'", 'places.snapshot_date', 'effective_from') }}
            as care_full_effective_from,
        {{ standard_in_force('places.region_code', "'tekun_care_partial'", 'places.snapshot_date') }} as care_partial_standard,
        {{ standard_field_in_force('places.region_code', "'tekun_care_partial'", 'places.snapshot_date', 'effective_from') }}
            as care_partial_effective_from
    from places
),

month_runs as (
    select
        months.month,
        max(history.as_of) as run_as_of
    from {{ ref('int_month_spine') }} as months
    inner join {{ ref('warning_history') }} as history
        on history.as_of >= months.month
        and history.as_of <= months.snapshot_date
    where months.in_range
    group by months.month
),

standard_warnings as (
    select
        month_runs.month,
        {{ banner_of('history.subject_key') }} as banner_code,
        count(*) as standard_warnings
    from month_runs
    inner join {{ ref('warning_history') }} as history on history.as_of = month_runs.run_as_of
    where history.rule_id in ('STD-01', 'STD-02')
    group by month_runs.month, {{ banner_of('history.subject_key') }}
),

with_wages as (
    select
        *,
        {{ standard_in_force('standards.region_code', "'min_wage'",
            add_months('standards.care_full_effective_from', '-' ~ rule_param('min_wage_lag_months'))) }}
            as min_wage_for_full_care,
        {{ standard_in_force('standards.region_code', "'min_wage'",
            add_months('standards.care_partial_effective_from', '-' ~ rule_param('min_wage_lag_months'))) }}
            as min_wage_for_partial_care
    from standards
)

select
    month,
    region_level,
    region_code,
    region_name,
    urban_rural,
    cast(dibao_standard as decimal(14, 2)) as dibao_standard,
    cast(tekun_basic_standard as decimal(14, 2)) as tekun_basic_standard,
    cast(tekun_basic_standard / nullif(dibao_standard, 0) as double) as tekun_to_dibao_ratio,
    cast(tekun_basic_standard >= {{ rule_param('tekun_multiple') }} * dibao_standard as boolean)
        as tekun_ratio_met,
    cast(care_full_standard as decimal(14, 2)) as care_full_standard,
    cast(care_partial_standard as decimal(14, 2)) as care_partial_standard,
    cast(min_wage_for_full_care as decimal(14, 2)) as min_wage_last_year,
    cast(care_full_standard / nullif(min_wage_for_full_care, 0) as double) as care_full_to_min_wage_ratio,
    cast(care_partial_standard / nullif(min_wage_for_partial_care, 0) as double)
        as care_partial_to_min_wage_ratio,
    cast(care_full_standard >= {{ rule_param('care_full_share') }} * min_wage_for_full_care as boolean)
        as care_full_ratio_met,
    cast(care_partial_standard >= {{ rule_param('care_partial_share') }} * min_wage_for_partial_care as boolean)
        as care_partial_ratio_met,
    cast(coalesce((
        select sum(w.standard_warnings)
        from standard_warnings as w
        where w.month = with_wages.month
          and (with_wages.region_level = 'league' or w.banner_code = with_wages.region_code)
    ), 0) as bigint) as standard_warnings
from with_wages
