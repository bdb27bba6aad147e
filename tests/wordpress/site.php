<?php
/**
 * transync's tests drive WordPress through its own PHP API with this script (there is no
 * wp-cli): `php site.php DOCROOT < ops.json`, where ops.json is a list of
 * {"op": name, ...arguments}; it prints the list of results as JSON.
 *
 * Ops: install, user, reset, option, mode, create, update, trash, untrash, delete, age, sync,
 * language, link, export, get, posts, blocks. A post id may be given as "#N": the id op N of the same run returned.
 */

$docroot = $argv[1];
$ops = json_decode( stream_get_contents( STDIN ), true );
$installing = 'install' === ( $ops[0]['op'] ?? '' );
if ( $installing ) {
	define( 'WP_INSTALLING', true );
}
$_SERVER['HTTP_HOST'] = $_SERVER['HTTP_HOST'] ?? '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/post.php';

/** Act as the editor, as wp-admin would: kses is off for users with unfiltered_html. */
function as_editor() {
	$user = get_user_by( 'login', 'editor' );
	if ( $user ) {
		wp_set_current_user( $user->ID );
	}
}

function op_install( $a ) {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	// no network: wp_install would ask the (not yet running) site whether permalinks work
	add_filter( 'pre_http_request', function () {
		return new WP_Error( 'transync_test_offline', 'no network in the tests' );
	} );
	add_filter( 'pre_wp_mail', '__return_false' );
	$result = wp_install( 'transync test site', 'admin', 'admin@example.org', false, '', $a['password'] );
	update_option( 'permalink_structure', '/%postname%/' );
	update_option( 'rewrite_rules', '' );
	update_option( 'transync_test_languages', 'polylang-pro' );
	$editor = wp_insert_user( array(
		'user_login' => 'editor', 'user_pass' => $a['password'], 'role' => 'editor',
		'user_email' => 'editor@example.org', 'display_name' => 'Editor',
	) );
	if ( is_wp_error( $editor ) ) {
		throw new Exception( $editor->get_error_message() );
	}
	list( $app_password ) = WP_Application_Passwords::create_new_application_password(
		$editor, array( 'name' => 'transync' ) );
	foreach ( TRANSYNC_TEST_LOCALES as $slug => $locale ) {
		$names = array( 'en' => 'English', 'tr' => 'Türkçe', 'ru' => 'Русский' );
		wp_insert_term( $names[ $slug ], 'language', array(
			'slug'        => $slug,
			'description' => serialize( array( 'locale' => $locale, 'rtl' => 0, 'flag_code' => $slug ) ),
		) );
	}
	return array( 'user' => 'editor', 'app_password' => $app_password, 'admin' => $result['user_id'] );
}

/** Another user with an application password (e.g. a subscriber, who may not edit). */
function op_user( $a ) {
	$user = get_user_by( 'login', $a['login'] );
	$id = $user ? $user->ID : wp_insert_user( array(
		'user_login' => $a['login'], 'user_pass' => wp_generate_password(), 'role' => $a['role'],
		'user_email' => $a['login'] . '@example.org',
	) );
	if ( is_wp_error( $id ) ) {
		throw new Exception( $id->get_error_message() );
	}
	list( $password ) = WP_Application_Passwords::create_new_application_password( $id, array( 'name' => 'transync' ) );
	return $password;
}

/** The blocks of a post as WordPress's own parser reads them: name and attributes, nested
 * blocks flattened in order. */
function op_blocks( $a ) {
	$out = array();
	$walk = function ( $blocks ) use ( &$walk, &$out ) {
		foreach ( $blocks as $block ) {
			if ( $block['blockName'] ) {
				$out[] = array( 'name' => $block['blockName'], 'attrs' => (object) $block['attrs'] );
			}
			$walk( $block['innerBlocks'] );
		}
	};
	$walk( parse_blocks( get_post( (int) $a['id'] )->post_content ) );
	return $out;
}

/** Every post, revision and translation group gone; languages and users kept. */
function op_reset( $a ) {
	global $wpdb;
	foreach ( array( $wpdb->posts, $wpdb->postmeta, $wpdb->term_relationships ) as $table ) {
		$wpdb->query( "TRUNCATE TABLE $table" );
	}
	$groups = get_terms( array( 'taxonomy' => 'post_translations', 'hide_empty' => false, 'fields' => 'ids' ) );
	foreach ( $groups as $id ) {
		wp_delete_term( $id, 'post_translations' );
	}
	// options that name posts (ids are reused: the privacy page's id would need manage_options)
	update_option( 'wp_page_for_privacy_policy', 0 );
	update_option( 'sticky_posts', array() );
	update_option( 'show_on_front', 'posts' );
	update_option( 'timezone_string', '' );
	update_option( 'gmt_offset', 0 );
	update_option( 'transync_test_languages', $a['mode'] ?? 'polylang-pro' );
	wp_cache_flush();
	return true;
}

/** A site setting, e.g. timezone_string. */
function op_option( $a ) {
	return update_option( $a['name'], $a['value'] );
}

function op_mode( $a ) {
	return update_option( 'transync_test_languages', $a['mode'] );
}

/** A post through wp_insert_post, its language set and linked as a translation. */
function op_create( $a ) {
	as_editor();
	$post = array(
		'post_title'   => $a['title'],
		'post_content' => $a['content'] ?? '',
		'post_status'  => $a['status'] ?? 'publish',
		'post_type'    => $a['type'] ?? 'post',
		'post_name'    => $a['slug'] ?? '',
	);
	if ( isset( $a['date_gmt'] ) ) {
		$post['post_date_gmt'] = $a['date_gmt'];
		$post['post_date'] = get_date_from_gmt( $a['date_gmt'] );
	}
	$id = wp_insert_post( wp_slash( $post ), true );
	if ( is_wp_error( $id ) ) {
		throw new Exception( $id->get_error_message() );
	}
	if ( ! empty( $a['lang'] ) ) {
		transync_test_set_language( $id, $a['lang'] );
		if ( ! empty( $a['translation_of'] ) ) {
			transync_test_link( $id, transync_test_translations( result_of( $a['translation_of'] ) ) );
		}
	}
	return $id;
}

/** An edit as the editor makes it in wp-admin: wp_update_post (a revision is kept). */
function op_update( $a ) {
	as_editor();
	$post = array( 'ID' => (int) $a['id'] );
	foreach ( array( 'title' => 'post_title', 'content' => 'post_content', 'status' => 'post_status', 'slug' => 'post_name' ) as $k => $field ) {
		if ( isset( $a[ $k ] ) ) {
			$post[ $field ] = $a[ $k ];
		}
	}
	$id = wp_update_post( wp_slash( $post ), true );
	if ( is_wp_error( $id ) ) {
		throw new Exception( $id->get_error_message() );
	}
	return get_post( $id )->post_modified_gmt;
}

/** A scheduled post published as WordPress's cron publishes it: the status alone changes. */
function op_publish_scheduled( $a ) {
	wp_publish_post( (int) $a['id'] );
	clean_post_cache( (int) $a['id'] );
	return get_post( (int) $a['id'] )->post_status;
}

function op_trash( $a ) {
	as_editor();
	return (bool) wp_trash_post( (int) $a['id'] );
}

function op_untrash( $a ) {
	as_editor();
	return (bool) wp_untrash_post( (int) $a['id'] );
}

function op_delete( $a ) {
	as_editor();
	$id = (int) $a['id'];
	// as Polylang on delete_post: the post leaves its group, whose other posts stay linked
	$group = array_diff( transync_test_translations( $id ), array( $id ) );
	if ( $group && 'wpml' !== transync_test_mode() ) {
		transync_test_link( reset( $group ), $group );
	}
	return (bool) wp_delete_post( $id, true );
}

/** Every post's dates moved back (the posts were written before the test began). */
function op_age( $a ) {
	global $wpdb;
	$hours = (int) $a['hours'];
	foreach ( array( 'post_date', 'post_date_gmt', 'post_modified', 'post_modified_gmt' ) as $column ) {
		$wpdb->query( "UPDATE $wpdb->posts SET $column = $column - INTERVAL $hours HOUR
			WHERE $column <> '0000-00-00 00:00:00'" );
	}
	wp_cache_flush();
	return true;
}

/** Polylang Pro's synchronization: the group's map gets a 'sync' entry. */
function op_sync( $a ) {
	$id = (int) $a['id'];
	return transync_test_link( $id, transync_test_translations( $id ), $a['sync'] );
}

/** The post's language changed in its Languages box, saved as wp-admin saves it: as
 * Polylang, the post keeps its place in its group under the new language if that language
 * is free there, else it leaves the group. */
function op_language( $a ) {
	as_editor();
	$id = (int) $a['id'];
	$group = transync_test_translations( $id );
	$old = transync_test_language( $id );
	transync_test_set_language( $id, $a['lang'] );
	unset( $group[ $old ] );
	transync_test_link( $id, isset( $group[ $a['lang'] ] ) ? array() : $group );
	wp_update_post( array( 'ID' => $id ) );
	return get_post( $id )->post_modified_gmt;
}

/** The post's translations set in its Languages box and saved (language => id; {} unlinks
 * it): the post is saved, the other posts of either group are not. */
function op_link( $a ) {
	as_editor();
	$id = (int) $a['id'];
	transync_test_link( $id, (array) $a['translations'] );
	wp_update_post( array( 'ID' => $id ) );
	return get_post( $id )->post_modified_gmt;
}

/** Tools → Export → All content, written to a file. */
function op_export( $a ) {
	require_once ABSPATH . 'wp-admin/includes/export.php';
	ob_start();
	export_wp( array( 'content' => $a['content'] ?? 'all' ) );
	return file_put_contents( $a['path'], ob_get_clean() );
}

function op_get( $a ) {
	$post = get_post( (int) $a['id'] );
	if ( ! $post ) {
		return null;
	}
	return array(
		'id' => $post->ID, 'title' => $post->post_title, 'content' => $post->post_content,
		'status' => $post->post_status, 'type' => $post->post_type, 'slug' => $post->post_name,
		'modified_gmt' => $post->post_modified_gmt, 'lang' => transync_test_language( $post->ID ),
		'translations' => (object) transync_test_translations( $post->ID ),
	);
}

function op_posts( $a ) {
	global $wpdb;
	$ids = $wpdb->get_col( "SELECT ID FROM $wpdb->posts WHERE post_type IN ('post', 'page') ORDER BY ID" );
	return array_map( function ( $id ) {
		return op_get( array( 'id' => $id ) );
	}, $ids );
}

/** A post id, or "#N": what op N of this run returned. */
function result_of( $value ) {
	global $results;
	return (int) ( is_string( $value ) && '#' === $value[0] ? $results[ (int) substr( $value, 1 ) ] : $value );
}

$results = array();
foreach ( $ops as $op ) {
	$name = 'op_' . $op['op'];
	try {
		$results[] = $name( $op );
	} catch ( Throwable $e ) {
		fwrite( STDERR, "{$op['op']}: " . $e->getMessage() . "\n" );
		exit( 1 );
	}
}
echo "\n@@transync@@\n" . json_encode( $results );
