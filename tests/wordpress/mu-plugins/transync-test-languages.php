<?php
/**
 * Plugin Name: transync test languages
 * Description: For transync's tests only. Publishes post languages in the REST API the way
 * Polylang Pro (`lang`, `translations`), the WPML REST API add-on (`wpml_current_locale`,
 * `wpml_translations`) or the community "WP REST - Polylang" plugin
 * (`polylang_current_lang`, `polylang_translations`) do, or not at all (free Polylang).
 *
 * The option `transync_test_languages` picks the plugin: polylang-pro, wpml, community or
 * free. Data is stored the way each plugin stores it, so WordPress's own export
 * (export_wp) writes what a real export holds: Polylang's `language` and
 * `post_translations` taxonomies (a group is a term whose description is the serialized
 * language => post id map), WPML's `_wpml_import_*` post meta (what WPML's export add-on
 * writes). Languages: en (en_US), tr (tr_TR), ru (ru_RU); en is WPML's default.
 */

const TRANSYNC_TEST_LOCALES = array( 'en' => 'en_US', 'tr' => 'tr_TR', 'ru' => 'ru_RU' );

function transync_test_mode() {
	return get_option( 'transync_test_languages', 'polylang-pro' );
}

add_action( 'init', function () {
	$args = array( 'public' => false, 'rewrite' => false, 'query_var' => false, 'show_in_rest' => false );
	register_taxonomy( 'language', array( 'post', 'page' ), $args + array( 'label' => 'Languages' ) );
	register_taxonomy( 'post_translations', array( 'post', 'page' ), $args + array( 'label' => 'Translations' ) );
} );

// -- storage -------------------------------------------------------------------------------

/** The post's language code ('' if none). */
function transync_test_language( $post_id ) {
	if ( 'wpml' === transync_test_mode() ) {
		return (string) get_post_meta( $post_id, '_wpml_import_language_code', true );
	}
	$terms = wp_get_object_terms( $post_id, 'language' );
	return ( ! is_wp_error( $terms ) && $terms ) ? $terms[0]->slug : '';
}

/** Language => post id of the post's translation group (the post included), languages only. */
function transync_test_translations( $post_id ) {
	if ( 'wpml' === transync_test_mode() ) {
		$group = get_post_meta( $post_id, '_wpml_import_translation_group', true );
		$found = array();
		if ( '' !== $group ) {
			$ids = get_posts( array(
				'post_type' => array( 'post', 'page' ), 'post_status' => 'any', 'fields' => 'ids',
				'numberposts' => -1, 'meta_key' => '_wpml_import_translation_group',
				'meta_value' => $group, 'suppress_filters' => true,
			) );
			foreach ( $ids as $id ) {
				$found[ transync_test_language( $id ) ] = (int) $id;
			}
		}
		$lang = transync_test_language( $post_id );
		return $lang ? array_merge( $found, array( $lang => (int) $post_id ) ) : $found;
	}
	$map = transync_test_group_map( $post_id );
	$lang = transync_test_language( $post_id );
	$map = array_intersect_key( $map, TRANSYNC_TEST_LOCALES ); // the 'sync' key is not a language
	return $lang ? array_merge( $map, array( $lang => (int) $post_id ) ) : $map;
}

/** The raw serialized map of the post's post_translations term (with Polylang Pro's 'sync'). */
function transync_test_group_map( $post_id ) {
	$terms = wp_get_object_terms( $post_id, 'post_translations' );
	if ( is_wp_error( $terms ) || ! $terms ) {
		return array();
	}
	$map = maybe_unserialize( $terms[0]->description );
	return is_array( $map ) ? $map : array();
}

function transync_test_set_language( $post_id, $lang ) {
	if ( ! isset( TRANSYNC_TEST_LOCALES[ $lang ] ) ) {
		return new WP_Error( 'rest_invalid_param', "Invalid language: $lang", array( 'status' => 400 ) );
	}
	if ( 'wpml' === transync_test_mode() ) {
		update_post_meta( $post_id, '_wpml_import_language_code', $lang );
		if ( '' === get_post_meta( $post_id, '_wpml_import_translation_group', true ) ) {
			update_post_meta( $post_id, '_wpml_import_translation_group', (string) $post_id );
		}
		return true;
	}
	wp_set_object_terms( $post_id, $lang, 'language' );
	return true;
}

/**
 * Link posts as one translation group, as pll_save_post_translations does: the post joins
 * the given translations; posts that were in its group and are not given leave it.
 */
function transync_test_link( $post_id, $translations, $sync = null ) {
	$lang = transync_test_language( $post_id );
	$group = array();
	foreach ( (array) $translations as $code => $id ) {
		if ( isset( TRANSYNC_TEST_LOCALES[ $code ] ) && (int) $id > 0 && get_post( (int) $id ) ) {
			$group[ $code ] = (int) $id;
		}
	}
	if ( $lang ) {
		$group[ $lang ] = (int) $post_id;
	}
	if ( 'wpml' === transync_test_mode() ) {
		$source = (int) min( $group );
		foreach ( $group as $code => $id ) {
			update_post_meta( $id, '_wpml_import_translation_group', (string) $source );
			update_post_meta( $id, '_wpml_import_source_language_code',
				$id === $source ? '' : transync_test_language( $source ) );
		}
		return true;
	}
	foreach ( transync_test_translations( $post_id ) as $code => $id ) {
		if ( ! in_array( $id, $group, true ) ) {
			wp_set_object_terms( $id, array(), 'post_translations' );
		}
	}
	$map = $group;
	if ( null !== $sync ) {
		$map['sync'] = $sync; // Polylang Pro: posts whose content is synchronized
	}
	// one term per group, as Polylang keeps it: a member's term is reused, emptied ones go
	$old = wp_get_object_terms( array_values( $group ), 'post_translations', array( 'fields' => 'ids' ) );
	if ( $old && ! is_wp_error( $old ) ) {
		$term_id = (int) $old[0];
		wp_update_term( $term_id, 'post_translations', array( 'description' => serialize( $map ) ) );
	} else {
		$slug = uniqid( 'pll_' );
		$term = wp_insert_term( $slug, 'post_translations', array( 'slug' => $slug, 'description' => serialize( $map ) ) );
		if ( is_wp_error( $term ) ) {
			return $term;
		}
		$term_id = (int) $term['term_id'];
	}
	foreach ( $group as $id ) {
		wp_set_object_terms( $id, $term_id, 'post_translations' );
	}
	foreach ( (array) $old as $other ) {
		if ( (int) $other !== $term_id && ! get_objects_in_term( (int) $other, 'post_translations' ) ) {
			wp_delete_term( (int) $other, 'post_translations' );
		}
	}
	return true;
}

// -- the REST API ----------------------------------------------------------------------------

add_action( 'rest_api_init', function () {
	$types = array( 'post', 'page' );
	$mode = transync_test_mode();
	if ( 'polylang-pro' === $mode ) {
		register_rest_field( $types, 'lang', array(
			'get_callback'    => function ( $post ) {
				return transync_test_language( $post['id'] );
			},
			'update_callback' => function ( $value, $post ) {
				return transync_test_set_language( $post->ID, (string) $value );
			},
			'schema'          => array( 'type' => 'string', 'context' => array( 'view', 'edit' ) ),
		) );
		register_rest_field( $types, 'translations', array(
			'get_callback'    => function ( $post ) {
				return (object) transync_test_translations( $post['id'] );
			},
			'update_callback' => function ( $value, $post ) {
				return transync_test_link( $post->ID, (array) $value );
			},
			'schema'          => array( 'type' => 'object', 'context' => array( 'view', 'edit' ) ),
		) );
	} elseif ( 'community' === $mode ) {
		register_rest_field( $types, 'polylang_current_lang', array(
			'get_callback' => function ( $post ) {
				$lang = transync_test_language( $post['id'] );
				return $lang ? TRANSYNC_TEST_LOCALES[ $lang ] : '';
			},
		) );
		register_rest_field( $types, 'polylang_translations', array(
			'get_callback' => function ( $post ) {
				$out = array();
				foreach ( transync_test_translations( $post['id'] ) as $code => $id ) {
					if ( $id !== (int) $post['id'] ) {
						$out[] = array( 'locale' => TRANSYNC_TEST_LOCALES[ $code ], 'id' => $id );
					}
				}
				return $out;
			},
		) );
	} elseif ( 'wpml' === $mode ) {
		register_rest_field( $types, 'wpml_current_locale', array(
			'get_callback' => function ( $post ) {
				$lang = transync_test_language( $post['id'] );
				return $lang ? TRANSYNC_TEST_LOCALES[ $lang ] : null;
			},
		) );
		register_rest_field( $types, 'wpml_translations', array(
			'get_callback' => function ( $post ) {
				$out = array();
				foreach ( transync_test_translations( $post['id'] ) as $code => $id ) {
					$other = get_post( $id );
					// as the add-on: never the post itself, only published translations
					if ( $id === (int) $post['id'] || 'publish' !== $other->post_status ) {
						continue;
					}
					$out[] = array( 'locale' => TRANSYNC_TEST_LOCALES[ $code ], 'id' => $id,
						'post_title' => $other->post_title, 'href' => get_permalink( $id ) );
				}
				return $out;
			},
		) );
	}
	// Listings in one language: ?lang= (Polylang, the community plugin), and WPML, which
	// without ?lang= answers in the default language only.
	foreach ( $types as $type ) {
		add_filter( "rest_{$type}_query", function ( $args, $request ) use ( $mode ) {
			$lang = $request->get_param( 'lang' );
			if ( 'wpml' === $mode ) {
				$lang = $lang ? $lang : 'en';
				$args['meta_query'] = array( array( 'key' => '_wpml_import_language_code', 'value' => $lang ) );
			} elseif ( $lang && 'free' !== $mode ) {
				$args['tax_query'] = array( array( 'taxonomy' => 'language', 'field' => 'slug', 'terms' => $lang ) );
			}
			return $args;
		}, 10, 2 );
	}
} );
