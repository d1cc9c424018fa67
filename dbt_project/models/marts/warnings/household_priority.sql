{#- marts.household_priority: where to go first. One row per household with at least
    one warning on the officials' list (status new, open or verified), ranked for home visits.

    Which household a warning belongs to:
    - a household subject: its assisted household (subject_key = household_id), or
      the rural-monitoring household (subject_key in rr_monitoring), or else the
      hukou household (subject_key = hukou_no);
    - a person (or case) subject: the warning's assisted household, else the
      person's assisted household, else their hukou household;
    - banner (region) warnings and subjects placed in no household are left out
      (they stay in marts.warnings).

    Rank (1 = visit first): households with two or more distinct hardship rules at
    once come first, then by highest severity, then the number of distinct hardship
    rules, the number of warnings, and the oldest warning (days open); the household
    kind and key break ties so the rank is stable. -#}

with open_warnings as (
    select *
    from {{ ref('warnings') }}
    where status in ('new', 'open', 'verified')  -- dismissed and handled leave the list (issue 16)
      and subject_type <> 'region'
),

monitored as (
    select distinct rr_household_id from {{ ref('stg_rr_monitoring') }}
),

placed as (
    select
        w.*,
        case
            when w.subject_type = 'household' and w.subject_key = w.household_id then 'assisted'
            when w.subject_type = 'household' and monitored.rr_household_id is not null then 'rural_monitoring'
            when w.subject_type = 'household' then 'hukou'
            when coalesce(w.household_id, home.assisted_household_id) is not null then 'assisted'
            when home.hukou_no is not null then 'hukou'
        end as household_kind,
        case
            when w.subject_type = 'household' then w.subject_key
            else coalesce(w.household_id, home.assisted_household_id, home.hukou_no)
        end as household_key,
        case w.severity when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 0 end as severity_rank
    from open_warnings as w
    left join monitored on w.subject_key = monitored.rr_household_id
    left join {{ ref('wrn_helper_person_home') }} as home on w.id_number = home.id_number
),

per_household as (
    select
        household_kind,
        household_key,
        max(case when household_kind = 'assisted' then household_key else household_id end) as household_id,
        min(region_code) as region_code,
        count(*) as open_warning_count,
        count(distinct rule_id) filter (where category = 'hardship') as hardship_signal_count,
        string_agg(distinct category, ',' order by category) as categories,
        string_agg(distinct rule_id, ',' order by rule_id) as rule_ids,
        max(severity_rank) as severity_rank,
        max(days_open) as oldest_days_open
    from placed
    where household_key is not null
    group by household_kind, household_key
),

ranked as (
    select
        *,
        row_number() over (
            order by
                case when hardship_signal_count >= 2 then 1 else 0 end desc,
                severity_rank desc,
                hardship_signal_count desc,
                open_warning_count desc,
                oldest_days_open desc,
                household_kind,
                household_key
        ) as priority_rank
    from per_household
)

select
    cast(priority_rank as integer) as priority_rank,
    cast(household_kind as varchar) as household_kind,
    cast(household_key as varchar) as household_key,
    cast(household_id as varchar) as household_id,
    cast(region_code as varchar) as region_code,
    cast({{ banner_of('region_code') }} as varchar) as banner_code,
    cast({{ township_of('region_code') }} as varchar) as township_code,
    cast(open_warning_count as integer) as open_warning_count,
    cast(hardship_signal_count as integer) as hardship_signal_count,
    cast(categories as varchar) as categories,
    cast(rule_ids as varchar) as rule_ids,
    cast(case severity_rank when 3 then 'high' when 2 then 'medium' else 'low' end as varchar)
        as highest_severity,
    cast(oldest_days_open as integer) as oldest_days_open,
    cast({{ as_of() }} as date) as as_of
from ranked
