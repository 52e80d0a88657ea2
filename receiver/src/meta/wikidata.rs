//! Enrichment through Wikidata: the item whose IMDb id (property P345) is the title's, and from
//! it the Rotten Tomatoes id (P1258) and the Metacritic id (P1712).

use serde_json::Value;

use super::fetch::{FetchError, Fetcher};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Enrichment {
    pub wikidata_id: Option<String>,
    pub rotten_tomatoes: Option<String>,
    pub metacritic_url: Option<String>,
}

/// Looks the title up; `Ok(None)` when Wikidata has no item for it.
pub async fn lookup(
    fetcher: &Fetcher,
    base: &str,
    imdb_id: &str,
) -> Result<Option<Enrichment>, FetchError> {
    let base = base.trim_end_matches('/');
    let search = format!(
        "{base}/w/api.php?action=query&list=search&srsearch=haswbstatement:P345={imdb_id}&format=json"
    );
    let found: Value =
        serde_json::from_slice(&fetcher.get(&search, 1 << 20).await?).unwrap_or(Value::Null);
    let Some(item) = found["query"]["search"][0]["title"]
        .as_str()
        .filter(|q| q.starts_with('Q'))
    else {
        return Ok(None);
    };
    let entity_url = format!("{base}/wiki/Special:EntityData/{item}.json");
    let entity: Value =
        serde_json::from_slice(&fetcher.get(&entity_url, 8 << 20).await?).unwrap_or(Value::Null);
    let claims = &entity["entities"][item]["claims"];
    let claim = |p: &str| {
        claims[p][0]["mainsnak"]["datavalue"]["value"]
            .as_str()
            .map(str::to_owned)
    };
    Ok(Some(Enrichment {
        wikidata_id: Some(item.to_owned()),
        rotten_tomatoes: claim("P1258"),
        metacritic_url: claim("P1712").map(|m| format!("https://www.metacritic.com/{m}")),
    }))
}
