{#- ELG-04 拥有非豁免机动车 (§22): a member of an assisted dibao, tekun or edge
    household owns an active vehicle whose type is not in `vehicle_exempt_types`
    (a space-separated list in the rule-parameter seed). -#}
{{ config(tags=['warning_rule']) }}

with exempt as (
    select ' ' || {{ rule_param_text('vehicle_exempt_types') }} || ' ' as padded_types
),

counted_vehicles as (
    select vehicles.*
    from {{ ref('stg_ps_vehicles') }} as vehicles
    cross join exempt
    where vehicles.status = 'active'
      and position(' ' || vehicles.vehicle_type || ' ' in exempt.padded_types) = 0
),

per_owner as (
    select
        owner_id_number,
        count(*) as vehicle_count,
        string_agg(plate_no || ' ' || vehicle_type, '; ' order by plate_no) as vehicles,
        sum(purchase_price) as purchase_price_total
    from counted_vehicles
    group by owner_id_number
)

select
    'ELG-04' as rule_id,
    'person' as subject_type,
    members.id_number as subject_key,
    members.id_number,
    members.household_id,
    members.region_code,
    'medium' as severity,
    cast(json_object(
        'vehicle_count', per_owner.vehicle_count,
        'vehicles', per_owner.vehicles,
        'purchase_price_total', per_owner.purchase_price_total,
        'exempt_types', trim(exempt.padded_types)
    ) as varchar) as evidence
from {{ ref('wrn_helper_assisted_members') }} as members
inner join per_owner on members.id_number = per_owner.owner_id_number
cross join exempt
where members.is_primary_household
