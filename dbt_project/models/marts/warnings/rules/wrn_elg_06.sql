{#- ELG-06 金融资产超标 (§22): each member's latest financial-asset check on or
    before as_of (deposits + wealth products + securities + insurance cash value),
    summed over an assisted dibao, tekun or edge household and divided by its
    member count, exceeds (compared as household total > limit x members, exact) `asset_months` x the dibao standard in force at as_of
    (urban or rural after the household). Members without a check count as 0. -#}
{{ config(tags=['warning_rule']) }}

with latest_assets as (
    select
        id_number,
        as_of as checked_on,
        coalesce(deposits, 0) + coalesce(wealth_products, 0) + coalesce(securities, 0)
            + coalesce(insurance_cash_value, 0) as total_assets,
        row_number() over (partition by id_number order by as_of desc) as recency
    from {{ ref('stg_fin_assets') }}
    where as_of <= {{ as_of() }}
),

households as (
    select distinct household_id, head_id_number, region_code, banner_code, urban_rural, member_count
    from {{ ref('wrn_helper_assisted_members') }}
),

per_household as (
    select
        members.household_id,
        sum(coalesce(latest_assets.total_assets, 0)) as household_assets,
        max(latest_assets.checked_on) as latest_check_on
    from {{ ref('wrn_helper_assisted_members') }} as members
    left join latest_assets on members.id_number = latest_assets.id_number and latest_assets.recency = 1
    group by members.household_id
),

compared as (
    select
        households.*,
        per_household.household_assets,
        per_household.latest_check_on,
        per_household.household_assets / households.member_count as per_capita_assets,
        {{ standard_in_force('households.banner_code', "'dibao_' || households.urban_rural", as_of()) }}
            as dibao_standard,
        cast({{ rule_param('asset_months') }} as decimal(18, 4)) as asset_months
    from households
    inner join per_household on households.household_id = per_household.household_id
)

select
    'ELG-06' as rule_id,
    'household' as subject_type,
    household_id as subject_key,
    head_id_number as id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'household_assets', household_assets,
        'member_count', member_count,
        'per_capita_assets', round(per_capita_assets, 2),
        'dibao_standard', dibao_standard,
        'asset_months', cast(asset_months as decimal(10, 2)),
        'asset_limit', cast(asset_months * dibao_standard as decimal(14, 2)),
        'latest_check_on', latest_check_on
    ) as varchar) as evidence
from compared
where household_assets > asset_months * dibao_standard * member_count
