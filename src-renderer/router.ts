import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import CatalogueView from './views/CatalogueView.vue'

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/catalogue' },
  { path: '/catalogue', name: 'catalogue', component: CatalogueView, meta: { title: 'Catalogue' } },
  { path: '/resources/:id(\\d+)', name: 'resource', component: () => import('./views/ResourceView.vue'), meta: { title: 'Resource' } },
  { path: '/maps/new', name: 'map-new', component: () => import('./views/MapView.vue'), meta: { title: 'New map' } },
  { path: '/maps/:id(\\d+)', name: 'map', component: () => import('./views/MapView.vue'), meta: { title: 'Map' } },
  { path: '/uploads', name: 'uploads', component: () => import('./views/UploadsView.vue'), meta: { title: 'Uploads' } },
  { path: '/documents', name: 'documents', component: () => import('./views/DocumentsView.vue'), meta: { title: 'Documents' } },
  { path: '/admin/users', name: 'admin-users', component: () => import('./views/AdminUsersView.vue'), meta: { title: 'Users' } },
  { path: '/admin/groups', name: 'admin-groups', component: () => import('./views/AdminGroupsView.vue'), meta: { title: 'Groups' } },
  { path: '/sync', name: 'sync', component: () => import('./views/SyncView.vue'), meta: { title: 'Sync' } },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Not found' } }
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? 'Mapshelf')} · Mapshelf`
})
