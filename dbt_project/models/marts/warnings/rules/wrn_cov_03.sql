{#- COV-03 特困住院自付未全额救助 (§8): a living covered member of an assisted tekun
    household with an inpatient settlement within the last `medical_window_months`
    months (the date exactly that many months before as_of counts) whose own
    out_of_pocket exceeds `amount_tolerance`. The evidence shows the largest such
    settlement. -#}
{{ config(tags=['warning_rule']) }}

with tekun_members as (
    select
        id_number,
        household_id,
        region_code,
        row_number() over (partition by id_number order by household_id) as membership_rank
    from {{ ref('int_household_members') }}
    where is_assisted and assistance_type = 'tekun' and coalesce(covered, false)
),

inpatient_unpaid as (
    select settlement_id, id_number, settled_on, hospital_name, total_cost, out_of_pocket
    from {{ ref('stg_mi_settlements') }}
    where visit_type = 'inpatient'
      and settled_on <= {{ as_of() }}
      and {{ add_months('settled_on', "cast(" ~ rule_param('medical_window_months') ~ " as integer)") }}
          >= {{ as_of() }}
      and out_of_pocket > {{ rule_param('amount_tolerance') }}
),

per_member as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        settlements.settlement_id,
        settlements.settled_on,
        settlements.hospital_name,
        settlements.total_cost,
        settlements.out_of_pocket,
        count(*) over (partition by members.id_number) as settlement_count,
        sum(settlements.out_of_pocket) over (partition by members.id_number) as out_of_pocket_total,
        row_number() over (
            partition by members.id_number
            order by settlements.out_of_pocket desc, settlements.settlement_id
        ) as settlement_rank
    from tekun_members as members
    inner join inpatient_unpaid as settlements on members.id_number = settlements.id_number
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.membership_rank = 1
      and not coalesce(home.is_deceased, false)
)

select
    'COV-03' as rule_id,
    'person' as subject_type,
    per_member.id_number as subject_key,
    per_member.id_number,
    per_member.household_id,
    per_member.region_code,
    'high' as severity,
    cast(json_object(
        'settlement_id', per_member.settlement_id,
        'settled_on', per_member.settled_on,
        'hospital_name', per_member.hospital_name,
        'total_cost', per_member.total_cost,
        'out_of_pocket', per_member.out_of_pocket,
        'settlement_count', per_member.settlement_count,
        'out_of_pocket_total', per_member.out_of_pocket_total,
        'amount_tolerance', {{ rule_param('amount_tolerance') }}
    ) as varchar) as evidence
from per_member
where per_member.settlement_rank = 1
