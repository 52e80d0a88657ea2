//! The fixture library: well-known films with the fields search and lists use.

use crate::support::Spec;

macro_rules! spec {
    ($id:literal, $title:literal, $orig:expr, $year:literal, [$($g:literal),*], [$($d:literal),*], [$($s:literal),*], $votes:literal, $rating:literal) => {
        Spec { id: $id, title: $title, original: $orig, year: $year, genres: &[$($g),*], directors: &[$($d),*], stars: &[$($s),*], votes: $votes, rating: $rating }
    };
}

pub const FILMS: &[Spec] = &[
    spec!(
        "tt0133093",
        "The Matrix",
        None,
        1999,
        ["Action", "Sci-Fi"],
        ["Lana Wachowski", "Lilly Wachowski"],
        ["Keanu Reeves", "Laurence Fishburne"],
        1_900_000,
        8.7
    ),
    spec!(
        "tt0145487",
        "Spider-Man",
        None,
        2002,
        ["Action", "Adventure"],
        ["Sam Raimi"],
        ["Tobey Maguire", "Kirsten Dunst"],
        850_000,
        7.4
    ),
    spec!(
        "tt4633694",
        "Spider-Man: Into the Spider-Verse",
        None,
        2018,
        ["Animation", "Action"],
        ["Bob Persichetti"],
        ["Shameik Moore", "Jake Johnson"],
        600_000,
        8.4
    ),
    spec!(
        "tt0110413",
        "Léon: The Professional",
        Some("Léon"),
        1994,
        ["Action", "Crime", "Drama"],
        ["Luc Besson"],
        ["Jean Reno", "Natalie Portman"],
        1_200_000,
        8.5
    ),
    spec!(
        "tt0211915",
        "Amélie",
        Some("Le Fabuleux Destin d'Amélie Poulain"),
        2001,
        ["Comedy", "Romance"],
        ["Jean-Pierre Jeunet"],
        ["Audrey Tautou", "Mathieu Kassovitz"],
        780_000,
        8.3
    ),
    spec!(
        "tt0083658",
        "Blade Runner",
        None,
        1982,
        ["Action", "Drama", "Sci-Fi"],
        ["Ridley Scott"],
        ["Harrison Ford", "Rutger Hauer"],
        800_000,
        8.1
    ),
    spec!(
        "tt1856101",
        "Blade Runner 2049",
        None,
        2017,
        ["Action", "Drama", "Sci-Fi"],
        ["Denis Villeneuve"],
        ["Ryan Gosling", "Harrison Ford"],
        650_000,
        8.0
    ),
    spec!(
        "tt0078748",
        "Alien",
        None,
        1979,
        ["Horror", "Sci-Fi"],
        ["Ridley Scott"],
        ["Sigourney Weaver", "Tom Skerritt"],
        950_000,
        8.5
    ),
    spec!(
        "tt0090605",
        "Aliens",
        None,
        1986,
        ["Action", "Sci-Fi"],
        ["James Cameron"],
        ["Sigourney Weaver", "Michael Biehn"],
        750_000,
        8.4
    ),
    spec!(
        "tt0088247",
        "The Terminator",
        None,
        1984,
        ["Action", "Sci-Fi"],
        ["James Cameron"],
        ["Arnold Schwarzenegger", "Linda Hamilton"],
        900_000,
        8.1
    ),
    spec!(
        "tt0103064",
        "Terminator 2: Judgment Day",
        None,
        1991,
        ["Action", "Sci-Fi"],
        ["James Cameron"],
        ["Arnold Schwarzenegger", "Linda Hamilton"],
        1_150_000,
        8.6
    ),
    spec!(
        "tt0113277",
        "Heat",
        None,
        1995,
        ["Action", "Crime", "Drama"],
        ["Michael Mann"],
        ["Al Pacino", "Robert De Niro"],
        700_000,
        8.3
    ),
    spec!(
        "tt0068646",
        "The Godfather",
        None,
        1972,
        ["Crime", "Drama"],
        ["Francis Ford Coppola"],
        ["Marlon Brando", "Al Pacino"],
        2_000_000,
        9.2
    ),
    spec!(
        "tt0071562",
        "The Godfather Part II",
        None,
        1974,
        ["Crime", "Drama"],
        ["Francis Ford Coppola"],
        ["Al Pacino", "Robert De Niro"],
        1_300_000,
        9.0
    ),
    spec!(
        "tt0110912",
        "Pulp Fiction",
        None,
        1994,
        ["Crime", "Drama"],
        ["Quentin Tarantino"],
        ["John Travolta", "Uma Thurman"],
        2_100_000,
        8.9
    ),
    spec!(
        "tt0266697",
        "Kill Bill: Vol. 1",
        None,
        2003,
        ["Action", "Crime"],
        ["Quentin Tarantino"],
        ["Uma Thurman", "David Carradine"],
        1_150_000,
        8.2
    ),
    spec!(
        "tt0114369",
        "Se7en",
        None,
        1995,
        ["Crime", "Drama", "Mystery"],
        ["David Fincher"],
        ["Morgan Freeman", "Brad Pitt"],
        1_700_000,
        8.6
    ),
    spec!(
        "tt0137523",
        "Fight Club",
        None,
        1999,
        ["Drama"],
        ["David Fincher"],
        ["Brad Pitt", "Edward Norton"],
        2_200_000,
        8.8
    ),
    spec!(
        "tt0114814",
        "The Usual Suspects",
        None,
        1995,
        ["Crime", "Drama", "Mystery"],
        ["Bryan Singer"],
        ["Kevin Spacey", "Gabriel Byrne"],
        1_080_000,
        8.5
    ),
    spec!(
        "tt0387564",
        "Saw",
        None,
        2004,
        ["Horror", "Mystery"],
        ["James Wan"],
        ["Cary Elwes", "Leigh Whannell"],
        420_000,
        7.6
    ),
    spec!(
        "tt0114478",
        "Smoke",
        None,
        1995,
        ["Comedy", "Drama"],
        ["Wayne Wang"],
        ["Harvey Keitel", "William Hurt"],
        30_000,
        7.4
    ),
    spec!(
        "tt0062622",
        "2001: A Space Odyssey",
        None,
        1968,
        ["Adventure", "Sci-Fi"],
        ["Stanley Kubrick"],
        ["Keir Dullea", "Gary Lockwood"],
        700_000,
        8.3
    ),
    spec!(
        "tt0050083",
        "12 Angry Men",
        None,
        1957,
        ["Crime", "Drama"],
        ["Sidney Lumet"],
        ["Henry Fonda", "Lee J. Cobb"],
        850_000,
        9.0
    ),
    spec!(
        "tt0047478",
        "Seven Samurai",
        Some("Shichinin no samurai"),
        1954,
        ["Action", "Drama"],
        ["Akira Kurosawa"],
        ["Toshirô Mifune", "Takashi Shimura"],
        370_000,
        8.6
    ),
    spec!(
        "tt0245429",
        "Spirited Away",
        Some("Sen to Chihiro no kamikakushi"),
        2001,
        ["Animation", "Adventure"],
        ["Hayao Miyazaki"],
        ["Rumi Hiiragi", "Miyu Irino"],
        850_000,
        8.6
    ),
    spec!(
        "tt0120737",
        "The Lord of the Rings: The Fellowship of the Ring",
        None,
        2001,
        ["Action", "Adventure", "Drama"],
        ["Peter Jackson"],
        ["Elijah Wood", "Ian McKellen"],
        2_000_000,
        8.8
    ),
    spec!(
        "tt0910970",
        "WALL·E",
        None,
        2008,
        ["Animation", "Adventure"],
        ["Andrew Stanton"],
        ["Ben Burtt", "Elissa Knight"],
        1_200_000,
        8.4
    ),
    spec!(
        "tt0073195",
        "Jaws",
        None,
        1975,
        ["Adventure", "Thriller"],
        ["Steven Spielberg"],
        ["Roy Scheider", "Robert Shaw"],
        650_000,
        8.1
    ),
    spec!(
        "tt0083866",
        "E.T. the Extra-Terrestrial",
        None,
        1982,
        ["Adventure", "Family"],
        ["Steven Spielberg"],
        ["Henry Thomas", "Drew Barrymore"],
        420_000,
        7.9
    ),
    spec!(
        "tt0088763",
        "Back to the Future",
        None,
        1985,
        ["Adventure", "Comedy", "Sci-Fi"],
        ["Robert Zemeckis"],
        ["Michael J. Fox", "Christopher Lloyd"],
        1_300_000,
        8.5
    ),
    spec!(
        "tt0095016",
        "Die Hard",
        None,
        1988,
        ["Action", "Thriller"],
        ["John McTiernan"],
        ["Bruce Willis", "Alan Rickman"],
        950_000,
        8.2
    ),
    spec!(
        "tt0240772",
        "Ocean's Eleven",
        None,
        2001,
        ["Crime", "Thriller"],
        ["Steven Soderbergh"],
        ["George Clooney", "Brad Pitt"],
        600_000,
        7.7
    ),
    spec!(
        "tt1392190",
        "Mad Max: Fury Road",
        None,
        2015,
        ["Action", "Adventure", "Sci-Fi"],
        ["George Miller"],
        ["Tom Hardy", "Charlize Theron"],
        1_100_000,
        8.1
    ),
    spec!(
        "tt1375666",
        "Inception",
        None,
        2010,
        ["Action", "Adventure", "Sci-Fi"],
        ["Christopher Nolan"],
        ["Leonardo DiCaprio", "Joseph Gordon-Levitt"],
        2_500_000,
        8.8
    ),
    spec!(
        "tt0816692",
        "Interstellar",
        None,
        2014,
        ["Adventure", "Drama", "Sci-Fi"],
        ["Christopher Nolan"],
        ["Matthew McConaughey", "Anne Hathaway"],
        2_100_000,
        8.7
    ),
    spec!(
        "tt0468569",
        "The Dark Knight",
        None,
        2008,
        ["Action", "Crime", "Drama"],
        ["Christopher Nolan"],
        ["Christian Bale", "Heath Ledger"],
        2_900_000,
        9.0
    ),
    spec!(
        "tt0034583",
        "Casablanca",
        None,
        1942,
        ["Drama", "Romance", "War"],
        ["Michael Curtiz"],
        ["Humphrey Bogart", "Ingrid Bergman"],
        600_000,
        8.5
    ),
    spec!(
        "tt0054215",
        "Psycho",
        None,
        1960,
        ["Horror", "Mystery", "Thriller"],
        ["Alfred Hitchcock"],
        ["Anthony Perkins", "Janet Leigh"],
        700_000,
        8.5
    ),
    spec!(
        "tt0052357",
        "Vertigo",
        None,
        1958,
        ["Mystery", "Romance", "Thriller"],
        ["Alfred Hitchcock"],
        ["James Stewart", "Kim Novak"],
        420_000,
        8.3
    ),
    spec!(
        "tt0086879",
        "Amadeus",
        None,
        1984,
        ["Biography", "Drama", "Music"],
        ["Milos Forman"],
        ["F. Murray Abraham", "Tom Hulce"],
        420_000,
        8.4
    ),
    spec!(
        "tt0082096",
        "Das Boot",
        None,
        1981,
        ["Drama", "War"],
        ["Wolfgang Petersen"],
        ["Jürgen Prochnow", "Herbert Grönemeyer"],
        260_000,
        8.4
    ),
    spec!(
        "tt0190332",
        "Crouching Tiger, Hidden Dragon",
        Some("Wo hu cang long"),
        2000,
        ["Action", "Adventure", "Drama"],
        ["Ang Lee"],
        ["Chow Yun-Fat", "Michelle Yeoh"],
        280_000,
        7.9
    ),
    spec!(
        "tt0457430",
        "Pan's Labyrinth",
        Some("El laberinto del fauno"),
        2006,
        ["Drama", "Fantasy", "War"],
        ["Guillermo del Toro"],
        ["Ivana Baquero", "Ariadna Gil"],
        700_000,
        8.2
    ),
];

/// Fills a library with the fixture films (a few with related titles) and a collection.
pub fn fill(lib: &crate::support::Lib) {
    for s in FILMS {
        let mut m = crate::support::meta(s);
        if s.id == "tt0133093" {
            m.suggestions = vec!["tt0088247".into(), "tt1375666".into(), "tt9999999".into()];
        }
        if s.id == "tt0078748" {
            m.suggestions = vec!["tt0090605".into()];
        }
        lib.add(&m);
    }
    let ids = |v: &[&str]| {
        v.iter()
            .map(|i| store::ContentId::parse(i).expect("id"))
            .collect::<Vec<_>>()
    };
    lib.store
        .create_collection(
            "Alien",
            store::CollectionKind::Franchise,
            &ids(&["tt0078748", "tt0090605", "tt0103644"]),
        )
        .expect("collection");
    lib.store
        .create_collection(
            "Nolan",
            store::CollectionKind::Custom,
            &ids(&["tt1375666", "tt0816692", "tt0468569"]),
        )
        .expect("collection");
}
