-- Every place a person (an id_number) appears in the staged feeds: the basis for
-- resolving people across departments. The feed -> id columns map is generated
-- from the contracts (macro feed_person_columns).
with sightings as (
    {%- for feed_id, id_columns in feed_person_columns().items() %}
    {%- for id_column in id_columns %}
    select
        {{ id_column }} as id_number,
        '{{ feed_id }}' as feed_id,
        '{{ id_column }}' as id_column,
        max(_extract_date) as last_extract_date
    from {{ ref('stg_' ~ feed_id) }}
    where {{ id_column }} is not null
    group by {{ id_column }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from sightings
